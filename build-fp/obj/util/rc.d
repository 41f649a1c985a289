build-fp/obj/util/rc.o: src/util/rc.c src/util/rc.h
src/util/rc.h:

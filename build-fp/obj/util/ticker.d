build-fp/obj/util/ticker.o: src/util/ticker.c src/util/ticker.h
src/util/ticker.h:

build-fp/obj/util/timefmt.o: src/util/timefmt.c src/util/timefmt.h
src/util/timefmt.h:

build-fp/obj/util/uuid.o: src/util/uuid.c src/util/uuid.h \
 src/util/timefmt.h
src/util/uuid.h:
src/util/timefmt.h:

build-fp/obj/util/log.o: src/util/log.c src/util/log.h src/util/buf.h \
 src/util/timefmt.h
src/util/log.h:
src/util/buf.h:
src/util/timefmt.h:

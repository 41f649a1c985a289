build-fp/obj/util/jw.o: src/util/jw.c src/util/jw.h src/util/buf.h \
 src/util/text.h
src/util/jw.h:
src/util/buf.h:
src/util/text.h:

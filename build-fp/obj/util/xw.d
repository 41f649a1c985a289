build-fp/obj/util/xw.o: src/util/xw.c src/util/xw.h src/util/buf.h \
 src/util/text.h
src/util/xw.h:
src/util/buf.h:
src/util/text.h:

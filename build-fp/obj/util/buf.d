build-fp/obj/util/buf.o: src/util/buf.c src/util/buf.h src/util/mem.h
src/util/buf.h:
src/util/mem.h:

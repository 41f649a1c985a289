build-fp/obj/model/catalog.o: src/model/catalog.c src/model/catalog.h \
 src/model/version.def src/util/buf.h src/model/catalog.def
src/model/catalog.h:
src/model/version.def:
src/util/buf.h:
src/model/catalog.def:

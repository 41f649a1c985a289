build-fp/obj/store/sqlgen.o: src/store/sqlgen.c src/store/sqlgen.h \
 src/model/query.h src/util/mem.h src/util/uuid.h src/util/buf.h \
 src/model/catalog.h src/model/version.def
src/store/sqlgen.h:
src/model/query.h:
src/util/mem.h:
src/util/uuid.h:
src/util/buf.h:
src/model/catalog.h:
src/model/version.def:

build-fp/obj/core/session.o: src/core/session.c src/core/session.h \
 src/model/record.h src/util/mem.h src/util/uuid.h src/util/rc.h \
 src/model/catalog.h src/model/version.def src/model/estate.h \
 src/model/estate.def
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/model/catalog.h:
src/model/version.def:
src/model/estate.h:
src/model/estate.def:

build-fp/obj/core/write.o: src/core/write.c src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/util/rc.h src/model/query.h src/store/store.h src/core/health.h \
 src/core/write.h src/model/catalog.h src/model/version.def \
 src/util/timefmt.h
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/model/query.h:
src/store/store.h:
src/core/health.h:
src/core/write.h:
src/model/catalog.h:
src/model/version.def:
src/util/timefmt.h:

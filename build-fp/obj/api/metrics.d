build-fp/obj/api/metrics.o: src/api/metrics.c src/api/metrics.h \
 src/api/api.h src/core/auth.h src/util/rc.h src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/model/query.h src/store/store.h src/util/buf.h src/core/feed.h \
 src/model/estate.h src/model/estate.def src/model/catalog.h \
 src/model/version.def src/util/timefmt.h
src/api/metrics.h:
src/api/api.h:
src/core/auth.h:
src/util/rc.h:
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/model/query.h:
src/store/store.h:
src/util/buf.h:
src/core/feed.h:
src/model/estate.h:
src/model/estate.def:
src/model/catalog.h:
src/model/version.def:
src/util/timefmt.h:

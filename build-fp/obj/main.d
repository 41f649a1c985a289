build-fp/obj/main.o: src/main.c src/api/api.h src/core/auth.h \
 src/util/rc.h src/core/core.h src/core/session.h src/model/record.h \
 src/util/mem.h src/util/uuid.h src/model/query.h src/store/store.h \
 src/util/buf.h src/api/vbr.h src/api/api.h src/util/jw.h src/util/buf.h \
 src/api/metrics.h src/core/alerts.h src/core/auth.h src/model/catalog.h \
 src/model/version.def src/core/core.h src/core/jobs.h src/core/demo.h \
 src/core/feed.h src/core/retention.h src/http/server.h src/util/buf.h \
 src/util/log.h src/util/timefmt.h
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
src/api/vbr.h:
src/api/api.h:
src/util/jw.h:
src/util/buf.h:
src/api/metrics.h:
src/core/alerts.h:
src/core/auth.h:
src/model/catalog.h:
src/model/version.def:
src/core/core.h:
src/core/jobs.h:
src/core/demo.h:
src/core/feed.h:
src/core/retention.h:
src/http/server.h:
src/util/buf.h:
src/util/log.h:
src/util/timefmt.h:

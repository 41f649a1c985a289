build-fp/obj/http/server.o: src/http/server.c src/http/server.h \
 src/util/rc.h src/api/api.h src/core/auth.h src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/model/query.h src/store/store.h src/util/buf.h src/api/metrics.h \
 src/http/guard.h src/http/listen.h src/http/router.h src/util/log.h \
 src/util/text.h src/util/timefmt.h
src/http/server.h:
src/util/rc.h:
src/api/api.h:
src/core/auth.h:
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/model/query.h:
src/store/store.h:
src/util/buf.h:
src/api/metrics.h:
src/http/guard.h:
src/http/listen.h:
src/http/router.h:
src/util/log.h:
src/util/text.h:
src/util/timefmt.h:

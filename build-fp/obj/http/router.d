build-fp/obj/http/router.o: src/http/router.c src/http/router.h \
 src/api/api.h src/core/auth.h src/util/rc.h src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/model/query.h src/store/store.h src/util/buf.h src/api/cache.h
src/http/router.h:
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
src/api/cache.h:

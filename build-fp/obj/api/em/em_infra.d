build-fp/obj/api/em/em_infra.o: src/api/em/em_infra.c src/api/em/em.h \
 src/api/api.h src/core/auth.h src/util/rc.h src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/model/query.h src/store/store.h src/util/buf.h src/core/jobs.h \
 src/model/catalog.h src/model/version.def src/util/jw.h src/util/buf.h \
 src/util/xw.h src/util/timefmt.h src/api/estate.h src/model/estate.h \
 src/model/estate.def
src/api/em/em.h:
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
src/core/jobs.h:
src/model/catalog.h:
src/model/version.def:
src/util/jw.h:
src/util/buf.h:
src/util/xw.h:
src/util/timefmt.h:
src/api/estate.h:
src/model/estate.h:
src/model/estate.def:

build-fp/obj/api/vbr/jobs.o: src/api/vbr/jobs.c src/api/vbr/vbr_int.h \
 src/api/vbr.h src/api/api.h src/core/auth.h src/util/rc.h \
 src/core/core.h src/core/session.h src/model/record.h src/util/mem.h \
 src/util/uuid.h src/model/query.h src/store/store.h src/util/buf.h \
 src/util/jw.h src/util/buf.h src/model/catalog.h src/model/version.def \
 src/api/estate.h src/core/jobs.h src/model/estate.h src/model/estate.def
src/api/vbr/vbr_int.h:
src/api/vbr.h:
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
src/util/jw.h:
src/util/buf.h:
src/model/catalog.h:
src/model/version.def:
src/api/estate.h:
src/core/jobs.h:
src/model/estate.h:
src/model/estate.def:

build-fp/obj/api/alerts.o: src/api/alerts.c src/api/alerts.h \
 src/api/api.h src/core/auth.h src/util/rc.h src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/model/query.h src/store/store.h src/util/buf.h src/api/estate.h \
 src/api/vbr.h src/util/jw.h src/util/buf.h src/core/alerts.h \
 src/model/estate.h src/model/estate.def
src/api/alerts.h:
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
src/api/estate.h:
src/api/vbr.h:
src/util/jw.h:
src/util/buf.h:
src/core/alerts.h:
src/model/estate.h:
src/model/estate.def:

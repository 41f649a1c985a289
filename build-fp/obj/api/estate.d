build-fp/obj/api/estate.o: src/api/estate.c src/api/estate.h \
 src/api/api.h src/core/auth.h src/util/rc.h src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/model/query.h src/store/store.h src/util/buf.h src/api/vbr.h \
 src/util/jw.h src/util/buf.h src/model/catalog.h src/model/version.def \
 src/model/estate.h src/model/estate.def src/model/schedule.h \
 src/util/timefmt.h
src/api/estate.h:
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
src/util/jw.h:
src/util/buf.h:
src/model/catalog.h:
src/model/version.def:
src/model/estate.h:
src/model/estate.def:
src/model/schedule.h:
src/util/timefmt.h:

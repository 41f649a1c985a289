build-fp/obj/core/lease.o: src/core/lease.c src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/util/rc.h src/model/query.h src/store/store.h src/model/catalog.h \
 src/model/version.def src/util/ticker.h src/util/timefmt.h \
 src/util/log.h
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/model/query.h:
src/store/store.h:
src/model/catalog.h:
src/model/version.def:
src/util/ticker.h:
src/util/timefmt.h:
src/util/log.h:

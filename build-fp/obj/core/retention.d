build-fp/obj/core/retention.o: src/core/retention.c src/core/retention.h \
 src/util/rc.h src/model/catalog.h src/model/version.def src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/model/query.h src/store/store.h src/util/ticker.h src/util/timefmt.h \
 src/util/log.h
src/core/retention.h:
src/util/rc.h:
src/model/catalog.h:
src/model/version.def:
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/model/query.h:
src/store/store.h:
src/util/ticker.h:
src/util/timefmt.h:
src/util/log.h:

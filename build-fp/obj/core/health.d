build-fp/obj/core/health.o: src/core/health.c src/core/health.h \
 src/core/core.h src/core/session.h src/model/record.h src/util/mem.h \
 src/util/uuid.h src/util/rc.h src/model/query.h src/store/store.h \
 src/util/ticker.h src/util/timefmt.h src/util/log.h
src/core/health.h:
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/model/query.h:
src/store/store.h:
src/util/ticker.h:
src/util/timefmt.h:
src/util/log.h:

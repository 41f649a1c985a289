build-fp/obj/core/missed.o: src/core/missed.c src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/util/rc.h src/model/query.h src/store/store.h src/core/jobs.h \
 src/model/estate.h src/model/estate.def src/model/schedule.h \
 src/util/ticker.h src/util/timefmt.h src/util/log.h
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/model/query.h:
src/store/store.h:
src/core/jobs.h:
src/model/estate.h:
src/model/estate.def:
src/model/schedule.h:
src/util/ticker.h:
src/util/timefmt.h:
src/util/log.h:

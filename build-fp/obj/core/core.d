build-fp/obj/core/core.o: src/core/core.c src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/util/rc.h src/model/query.h src/store/store.h src/core/feed.h \
 src/core/health.h src/core/jobs.h src/util/timefmt.h
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/model/query.h:
src/store/store.h:
src/core/feed.h:
src/core/health.h:
src/core/jobs.h:
src/util/timefmt.h:

build-fp/obj/core/feed.o: src/core/feed.c src/core/feed.h src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/util/rc.h src/model/query.h src/store/store.h src/util/timefmt.h
src/core/feed.h:
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/model/query.h:
src/store/store.h:
src/util/timefmt.h:

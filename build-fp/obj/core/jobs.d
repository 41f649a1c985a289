build-fp/obj/core/jobs.o: src/core/jobs.c src/core/jobs.h \
 src/model/record.h src/util/mem.h src/util/uuid.h src/util/rc.h \
 src/core/core.h src/core/session.h src/model/query.h src/store/store.h \
 src/model/catalog.h src/model/version.def src/model/estate.h \
 src/model/estate.def src/util/timefmt.h
src/core/jobs.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/core/core.h:
src/core/session.h:
src/model/query.h:
src/store/store.h:
src/model/catalog.h:
src/model/version.def:
src/model/estate.h:
src/model/estate.def:
src/util/timefmt.h:

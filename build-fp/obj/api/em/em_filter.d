build-fp/obj/api/em/em_filter.o: src/api/em/em_filter.c \
 src/api/em/em_filter.h src/core/core.h src/core/session.h \
 src/model/record.h src/util/mem.h src/util/uuid.h src/util/rc.h \
 src/model/query.h src/store/store.h src/model/catalog.h \
 src/model/version.def src/util/timefmt.h
src/api/em/em_filter.h:
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
src/util/timefmt.h:

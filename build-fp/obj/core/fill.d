build-fp/obj/core/fill.o: src/core/fill.c src/core/write.h \
 src/core/core.h src/core/session.h src/model/record.h src/util/mem.h \
 src/util/uuid.h src/util/rc.h src/model/query.h src/store/store.h \
 src/model/estate.h src/model/estate.def src/util/timefmt.h
src/core/write.h:
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/model/query.h:
src/store/store.h:
src/model/estate.h:
src/model/estate.def:
src/util/timefmt.h:

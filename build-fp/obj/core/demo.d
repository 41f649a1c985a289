build-fp/obj/core/demo.o: src/core/demo.c src/core/demo.h src/util/rc.h \
 src/core/demo_int.h src/core/core.h src/core/session.h \
 src/model/record.h src/util/mem.h src/util/uuid.h src/model/query.h \
 src/store/store.h src/model/catalog.h src/model/version.def \
 src/util/ticker.h src/util/timefmt.h
src/core/demo.h:
src/util/rc.h:
src/core/demo_int.h:
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/model/query.h:
src/store/store.h:
src/model/catalog.h:
src/model/version.def:
src/util/ticker.h:
src/util/timefmt.h:

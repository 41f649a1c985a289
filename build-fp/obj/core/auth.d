build-fp/obj/core/auth.o: src/core/auth.c src/core/auth.h src/util/rc.h \
 src/core/core.h src/core/session.h src/model/record.h src/util/mem.h \
 src/util/uuid.h src/model/query.h src/store/store.h src/util/timefmt.h
src/core/auth.h:
src/util/rc.h:
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/model/query.h:
src/store/store.h:
src/util/timefmt.h:

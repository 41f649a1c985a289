build-fp/obj/core/alerts_send.o: src/core/alerts_send.c \
 src/core/alerts_int.h src/core/alerts.h src/core/core.h \
 src/core/session.h src/model/record.h src/util/mem.h src/util/uuid.h \
 src/util/rc.h src/model/query.h src/store/store.h src/model/estate.h \
 src/model/estate.def src/util/log.h src/util/timefmt.h
src/core/alerts_int.h:
src/core/alerts.h:
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
src/util/log.h:
src/util/timefmt.h:

build-fp/obj/core/logon.o: src/core/logon.c src/core/logon.h \
 src/model/record.h src/util/mem.h src/util/uuid.h src/util/rc.h \
 src/core/auth.h src/core/core.h src/core/session.h src/model/query.h \
 src/store/store.h
src/core/logon.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/util/rc.h:
src/core/auth.h:
src/core/core.h:
src/core/session.h:
src/model/query.h:
src/store/store.h:

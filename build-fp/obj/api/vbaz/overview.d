build-fp/obj/api/vbaz/overview.o: src/api/vbaz/overview.c \
 src/api/vbaz/vbaz.h src/api/api.h src/core/auth.h src/util/rc.h \
 src/core/core.h src/core/session.h src/model/record.h src/util/mem.h \
 src/util/uuid.h src/model/query.h src/store/store.h src/util/buf.h \
 src/util/jw.h src/util/buf.h
src/api/vbaz/vbaz.h:
src/api/api.h:
src/core/auth.h:
src/util/rc.h:
src/core/core.h:
src/core/session.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/model/query.h:
src/store/store.h:
src/util/buf.h:
src/util/jw.h:
src/util/buf.h:

build-fp/obj/store/sqlite.o: src/store/sqlite.c src/store/sess_cache.h \
 src/model/record.h src/util/mem.h src/util/uuid.h src/store/sqlgen.h \
 src/model/query.h src/util/buf.h src/store/store.h src/util/rc.h \
 src/store/store_sql.h src/util/timefmt.h
src/store/sess_cache.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:
src/store/sqlgen.h:
src/model/query.h:
src/util/buf.h:
src/store/store.h:
src/util/rc.h:
src/store/store_sql.h:
src/util/timefmt.h:

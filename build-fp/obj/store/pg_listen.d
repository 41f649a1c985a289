build-fp/obj/store/pg_listen.o: src/store/pg_listen.c src/store/pg.h \
 /usr/include/postgresql/libpq-fe.h \
 /usr/include/postgresql/postgres_ext.h \
 /usr/include/postgresql/pg_config_ext.h src/store/sqlgen.h \
 src/model/query.h src/util/mem.h src/util/uuid.h src/util/buf.h \
 src/store/store.h src/model/record.h src/util/rc.h
src/store/pg.h:
/usr/include/postgresql/libpq-fe.h:
/usr/include/postgresql/postgres_ext.h:
/usr/include/postgresql/pg_config_ext.h:
src/store/sqlgen.h:
src/model/query.h:
src/util/mem.h:
src/util/uuid.h:
src/util/buf.h:
src/store/store.h:
src/model/record.h:
src/util/rc.h:

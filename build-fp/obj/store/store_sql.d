build-fp/obj/store/store_sql.o: src/store/store_sql.c \
 src/store/store_sql.h src/model/query.h src/util/mem.h src/util/uuid.h \
 src/store/sqlgen.h src/util/buf.h
src/store/store_sql.h:
src/model/query.h:
src/util/mem.h:
src/util/uuid.h:
src/store/sqlgen.h:
src/util/buf.h:

build-fp/obj/store/store.o: src/store/store.c src/store/store.h \
 src/model/query.h src/util/mem.h src/util/uuid.h src/model/record.h \
 src/util/rc.h
src/store/store.h:
src/model/query.h:
src/util/mem.h:
src/util/uuid.h:
src/model/record.h:
src/util/rc.h:

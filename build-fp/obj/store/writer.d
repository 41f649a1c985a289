build-fp/obj/store/writer.o: src/store/writer.c src/store/store.h \
 src/model/query.h src/util/mem.h src/util/uuid.h src/model/record.h \
 src/util/rc.h src/util/timefmt.h
src/store/store.h:
src/model/query.h:
src/util/mem.h:
src/util/uuid.h:
src/model/record.h:
src/util/rc.h:
src/util/timefmt.h:

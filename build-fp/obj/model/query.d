build-fp/obj/model/query.o: src/model/query.c src/model/query.h \
 src/util/mem.h src/util/uuid.h
src/model/query.h:
src/util/mem.h:
src/util/uuid.h:

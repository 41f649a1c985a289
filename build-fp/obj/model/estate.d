build-fp/obj/model/estate.o: src/model/estate.c src/model/estate.h \
 src/util/uuid.h src/model/estate.def
src/model/estate.h:
src/util/uuid.h:
src/model/estate.def:

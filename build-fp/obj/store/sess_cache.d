build-fp/obj/store/sess_cache.o: src/store/sess_cache.c \
 src/store/sess_cache.h src/model/record.h src/util/mem.h src/util/uuid.h
src/store/sess_cache.h:
src/model/record.h:
src/util/mem.h:
src/util/uuid.h:

build-fp/obj/util/form.o: src/util/form.c src/util/form.h src/util/mem.h \
 src/util/text.h
src/util/form.h:
src/util/mem.h:
src/util/text.h:

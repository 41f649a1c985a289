build-fp/obj/http/guard.o: src/http/guard.c src/http/guard.h \
 src/util/rc.h src/util/mem.h src/util/timefmt.h
src/http/guard.h:
src/util/rc.h:
src/util/mem.h:
src/util/timefmt.h:

build-fp/obj/http/listen.o: src/http/listen.c src/http/listen.h \
 src/util/rc.h src/http/server.h src/util/buf.h src/util/mem.h
src/http/listen.h:
src/util/rc.h:
src/http/server.h:
src/util/buf.h:
src/util/mem.h:

build-fp/obj/model/schedule.o: src/model/schedule.c src/model/schedule.h
src/model/schedule.h:

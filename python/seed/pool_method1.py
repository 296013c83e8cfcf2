from multiprocessing import Pool
def f(x):
    do_some_thing(x)
# method 1
p = Pool(8)
p.map(f, list(range(1024)))
p.close()
p.join()

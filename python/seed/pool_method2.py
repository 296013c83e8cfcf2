from multiprocessing import Pool
def f(x):
    do_some_thing(x)
# method 2
with Pool(8) as p:
    p.map(f, list(range(1024)))

from multiprocessing import Pool
def f(x): 
    return x
with Pool(8) as p:
    res = p.map(f, list(range(1024)))
# res: [0, 1, 2, ..., 1023]

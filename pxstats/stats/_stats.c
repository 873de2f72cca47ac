/* pxstats.stats._stats: Bucket.compute(stats_types, max_latency) for every bucket of a
 * collector (no product filter), compiled.
 *
 * compute(buckets, stats_types, max_latency) -> bool. False, having changed nothing, when the
 * buckets are not what the scanner and the pickler make (a missing or ragged column, a value
 * that is not a plain int, sums that would not be exact in a double, a repeated statistic,
 * an error column whose total has no 1): the caller then takes the other paths, which decide.
 * The results are the objects Bucket.compute stores: the same types, and for minimums,
 * maximums, files and times the very objects of the bucket's lists.
 *
 * Why one file of ~470 lines: what is checked before anything changes (pass 1) and what is
 * stored (pass 2) must match Bucket.compute line by line; they are kept in one function.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STATS 8
#define EXACT (((int64_t)1) << 53)

enum {
    D_TOTALS,
    D_MEANS,
    D_MEDIANS,
    D_MINIMUMS,
    D_MAXIMUMS,
    D_FILES_MIN,
    D_TIMES_MIN,
    D_FILES_MAX,
    D_TIMES_MAX,
    D_COUNT
};
static const char *DICT_NAMES[D_COUNT] = {
    "totals",         "means",           "medians",        "minimums",        "maximums",
    "files_where_min", "times_where_min", "files_where_max", "times_where_max",
};
static PyObject *dict_names[D_COUNT];
static PyObject *s_times, *s_products, *s_values, *s_nb_files, *s_over, *s_errors, *s_latency;

typedef struct {
    PyObject *times, *products, *values; /* new references */
    PyObject *columns[MAX_STATS + 1];    /* borrowed from values; [nstats]: latency */
    Py_ssize_t size, first;              /* rows; first row in the flat arrays */
} Bucket;

static int compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The k-th smallest of v[0..n) (0 <= k < n), v reordered so that v[0..k) <= v[k] <= v(k..n):
 * Wirth's selection, with a sort of what remains if it takes too many rounds. */
static int64_t select_kth(int64_t *v, Py_ssize_t n, Py_ssize_t k)
{
    if (n <= 24) {
        for (Py_ssize_t i = 1; i < n; i++) {
            int64_t x = v[i];
            Py_ssize_t j = i;
            for (; j > 0 && v[j - 1] > x; j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
        return v[k];
    }
    Py_ssize_t l = 0, m = n - 1;
    int rounds = 0;
    while (l < m) {
        if (++rounds > 64) {
            qsort(v + l, (size_t)(m - l + 1), sizeof(int64_t), compare);
            break;
        }
        int64_t x = v[k];
        Py_ssize_t i = l, j = m;
        do {
            while (v[i] < x)
                i++;
            while (x < v[j])
                j--;
            if (i <= j) {
                int64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < k)
            l = i;
        if (k < i)
            m = j;
    }
    return v[k];
}

/* The int64 values of a list of plain ints, appended at out; -1 error, 0 declined, 1 ok. */
static int read_column(PyObject *list, int64_t *out, int64_t *maxabs)
{
    Py_ssize_t n = PyList_GET_SIZE(list);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(list, i);
        if (!PyLong_CheckExact(item))
            return 0;
        int overflow = 0;
        long long v = PyLong_AsLongLongAndOverflow(item, &overflow);
        if (overflow || v == INT64_MIN)
            return 0;
        if (v == -1 && PyErr_Occurred())
            return -1;
        out[i] = v;
        int64_t a = v < 0 ? -v : v;
        if (a > *maxabs)
            *maxabs = a;
    }
    return 1;
}

static int set_item(PyObject *dict, PyObject *key, PyObject *value, int steal)
{
    if (!value)
        return -1;
    int status = PyDict_SetItem(dict, key, value);
    if (steal)
        Py_DECREF(value);
    return status;
}

static PyObject *number_or_zero(int64_t total, Py_ssize_t n) /* total / n, or int 0 */
{
    return n ? PyFloat_FromDouble((double)total / (double)n) : PyLong_FromLong(0);
}

/* _median: the middle value, or the mean of the two middle ones (v is reordered). */
static PyObject *median(int64_t *v, Py_ssize_t n)
{
    if (!n)
        return PyLong_FromLong(0);
    int64_t high = select_kth(v, n, n / 2);
    if (n % 2)
        return PyLong_FromLongLong(high);
    int64_t low = v[0];
    for (Py_ssize_t i = 1; i < n / 2; i++)
        if (v[i] > low)
            low = v[i];
    return PyFloat_FromDouble((double)(low + high) / 2.0);
}

static PyObject *compute(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *buckets, *stats_arg, *max_latency_obj;
    if (!PyArg_ParseTuple(args, "O!OO", &PyList_Type, &buckets, &stats_arg, &max_latency_obj))
        return NULL;
    Py_ssize_t nb = PyList_GET_SIZE(buckets);
    if (!PyLong_CheckExact(max_latency_obj) || nb == 0)
        Py_RETURN_FALSE;
    int overflow = 0;
    long long max_latency = PyLong_AsLongLongAndOverflow(max_latency_obj, &overflow);
    if (overflow)
        Py_RETURN_FALSE;
    if (max_latency == -1 && PyErr_Occurred())
        return NULL;
    PyObject *stats = PySequence_Fast(stats_arg, "stats_types must be a sequence");
    if (!stats)
        return NULL;

    PyObject *result = NULL;
    Bucket *info = NULL;
    int64_t *flat = NULL, *scratch = NULL;
    char *good = NULL;
    Py_ssize_t nstats = PySequence_Fast_GET_SIZE(stats);
    PyObject **names = PySequence_Fast_ITEMS(stats);
    int declined = 0;
    int errors_at = -1;
    if (nstats > MAX_STATS)
        declined = 1;
    for (Py_ssize_t k = 0; k < nstats && !declined; k++) {
        if (!PyUnicode_CheckExact(names[k])) {
            declined = 1;
            break;
        }
        for (Py_ssize_t j = 0; j < k; j++) {
            int same = PyUnicode_Compare(names[j], names[k]);
            if (same == -1 && PyErr_Occurred())
                goto done;
            if (same == 0)
                declined = 1;
        }
        int is_errors = PyUnicode_Compare(names[k], s_errors);
        if (is_errors == -1 && PyErr_Occurred())
            goto done;
        if (is_errors == 0)
            errors_at = (int)k;
    }
    if (declined) {
        result = Py_False;
        Py_INCREF(result);
        goto done;
    }

    info = PyMem_Calloc((size_t)nb, sizeof(Bucket));
    if (!info) {
        PyErr_NoMemory();
        goto done;
    }
    /* Pass 1: the layout, every value read, nothing changed. */
    int has_latency = -1;
    Py_ssize_t rows = 0;
    for (Py_ssize_t b = 0; b < nb && !declined; b++) {
        Bucket *bk = &info[b];
        PyObject *bucket = PyList_GET_ITEM(buckets, b);
        bk->times = PyObject_GetAttr(bucket, s_times);
        bk->products = bk->times ? PyObject_GetAttr(bucket, s_products) : NULL;
        bk->values = bk->products ? PyObject_GetAttr(bucket, s_values) : NULL;
        if (!bk->values)
            goto done;
        if (!PyList_CheckExact(bk->times) || !PyList_CheckExact(bk->products) ||
            !PyDict_CheckExact(bk->values)) {
            declined = 1;
            break;
        }
        bk->size = PyList_GET_SIZE(bk->times);
        bk->first = rows;
        rows += bk->size;
        if (PyList_GET_SIZE(bk->products) != bk->size) {
            declined = 1;
            break;
        }
        PyObject *latency = PyDict_GetItemWithError(bk->values, s_latency);
        if (!latency && PyErr_Occurred())
            goto done;
        if (has_latency < 0)
            has_latency = latency != NULL;
        if ((latency != NULL) != has_latency) {
            declined = 1;
            break;
        }
        bk->columns[nstats] = latency;
        for (Py_ssize_t k = 0; k < nstats; k++) {
            PyObject *column = PyDict_GetItemWithError(bk->values, names[k]);
            if (!column && PyErr_Occurred())
                goto done;
            bk->columns[k] = column;
        }
        for (Py_ssize_t k = 0; k <= nstats; k++) {
            PyObject *column = bk->columns[k];
            if (k == nstats && !has_latency)
                continue;
            if (!column || !PyList_CheckExact(column) || PyList_GET_SIZE(column) != bk->size) {
                declined = 1;
                break;
            }
        }
    }
    if (declined) {
        result = Py_False;
        Py_INCREF(result);
        goto done;
    }
    /* flat[k * rows + r]: column k (nstats: latency) of every bucket end to end */
    Py_ssize_t ncolumns = nstats + 1;
    flat = PyMem_Malloc(sizeof(int64_t) * (size_t)(rows ? rows * ncolumns : 1));
    scratch = PyMem_Malloc(sizeof(int64_t) * (size_t)(rows ? rows : 1));
    good = PyMem_Malloc((size_t)(rows ? rows : 1));
    if (!flat || !scratch || !good) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < ncolumns && !declined; k++) {
        if (k == nstats && !has_latency)
            break;
        int64_t maxabs = 0;
        for (Py_ssize_t b = 0; b < nb; b++) {
            int status = read_column(info[b].columns[k], flat + k * rows + info[b].first, &maxabs);
            if (status < 0)
                goto done;
            if (status == 0) {
                declined = 1;
                break;
            }
        }
        /* every sum, and every sum of two, exact in int64 and double (as _compute_all) */
        if (!declined && rows && maxabs >= (EXACT + rows - 1) / rows)
            declined = 1;
    }
    /* An error total without a 1 in its column: the reference raises, let it. */
    if (!declined && errors_at >= 0) {
        const int64_t *errors = flat + errors_at * rows;
        for (Py_ssize_t b = 0; b < nb && !declined; b++) {
            int64_t total = 0;
            int one = 0;
            for (Py_ssize_t r = info[b].first; r < info[b].first + info[b].size; r++) {
                total += errors[r];
                one |= errors[r] == 1;
            }
            if (total && !one)
                declined = 1;
        }
    }
    if (declined) {
        result = Py_False;
        Py_INCREF(result);
        goto done;
    }

    /* Pass 2: every bucket's statistics. */
    for (Py_ssize_t b = 0; b < nb; b++) {
        Bucket *bk = &info[b];
        PyObject *bucket = PyList_GET_ITEM(buckets, b);
        Py_ssize_t n = bk->size, first = bk->first;
        const int64_t *errors = errors_at >= 0 ? flat + errors_at * rows + first : NULL;
        Py_ssize_t nb_files = 0, over = 0;
        for (Py_ssize_t r = 0; r < n; r++) {
            good[r] = errors ? errors[r] == 0 : 1;
            nb_files += good[r];
        }
        if (has_latency) {
            const int64_t *latency = flat + nstats * rows + first;
            for (Py_ssize_t r = 0; r < n; r++)
                over += good[r] && latency[r] > max_latency;
        }
        PyObject *count = PyLong_FromSsize_t(nb_files);
        if (!count)
            goto done;
        int status = PyObject_SetAttr(bucket, s_nb_files, count);
        Py_DECREF(count);
        if (status < 0)
            goto done;
        count = PyLong_FromSsize_t(over);
        if (!count)
            goto done;
        status = PyObject_SetAttr(bucket, s_over, count);
        Py_DECREF(count);
        if (status < 0)
            goto done;

        PyObject *dicts[D_COUNT] = {NULL};
        int failed = 0;
        for (int d = 0; d < D_COUNT && !failed; d++) {
            dicts[d] = PyObject_GetAttr(bucket, dict_names[d]);
            if (!dicts[d])
                failed = 1;
            else if (!PyDict_Check(dicts[d])) {
                PyErr_Format(PyExc_TypeError, "bucket.%s is not a dict", DICT_NAMES[d]);
                failed = 1;
            }
        }
        for (Py_ssize_t k = 0; k < nstats && !failed; k++) {
            PyObject *key = names[k];
            const int64_t *column = flat + k * rows + first;
            PyObject *list = bk->columns[k];
            int is_errors = k == errors_at;
            Py_ssize_t chosen = 0, lo = -1, hi = -1;
            int64_t total = 0;
            for (Py_ssize_t r = 0; r < n; r++) {
                if (!is_errors && !good[r])
                    continue;
                int64_t v = column[r];
                total += v;
                scratch[chosen++] = v;
                if (lo < 0 || v < column[lo])
                    lo = r;
                if (hi < 0 || v > column[hi])
                    hi = r;
            }
            failed = set_item(dicts[D_TOTALS], key, PyFloat_FromDouble((double)total), 1) < 0 ||
                     set_item(dicts[D_MEANS], key, number_or_zero(total, chosen), 1) < 0 ||
                     set_item(dicts[D_MEDIANS], key, median(scratch, chosen), 1) < 0;
            if (failed)
                break;
            if (is_errors) {
                PyObject *moment = NULL;
                if (total) {
                    for (Py_ssize_t r = n - 1; r >= 0; r--) {
                        if (column[r] == 1) {
                            moment = PyList_GET_ITEM(bk->times, r);
                            Py_INCREF(moment);
                            break;
                        }
                    }
                } else {
                    moment = PyLong_FromLong(0);
                }
                PyObject *sum = PyLong_FromLongLong(total);
                PyObject *empty = PyUnicode_FromStringAndSize("", 0);
                failed = !moment || !sum || !empty ||
                         set_item(dicts[D_MINIMUMS], key, sum, 0) < 0 ||
                         set_item(dicts[D_MAXIMUMS], key, sum, 0) < 0 ||
                         set_item(dicts[D_FILES_MIN], key, empty, 0) < 0 ||
                         set_item(dicts[D_FILES_MAX], key, empty, 0) < 0 ||
                         set_item(dicts[D_TIMES_MIN], key, moment, 0) < 0 ||
                         set_item(dicts[D_TIMES_MAX], key, moment, 0) < 0;
                Py_XDECREF(moment);
                Py_XDECREF(sum);
                Py_XDECREF(empty);
            } else if (chosen) {
                failed = set_item(dicts[D_MINIMUMS], key, PyList_GET_ITEM(list, lo), 0) < 0 ||
                         set_item(dicts[D_MAXIMUMS], key, PyList_GET_ITEM(list, hi), 0) < 0 ||
                         set_item(dicts[D_FILES_MIN], key, PyList_GET_ITEM(bk->products, lo), 0) <
                             0 ||
                         set_item(dicts[D_TIMES_MIN], key, PyList_GET_ITEM(bk->times, lo), 0) <
                             0 ||
                         set_item(dicts[D_FILES_MAX], key, PyList_GET_ITEM(bk->products, hi), 0) <
                             0 ||
                         set_item(dicts[D_TIMES_MAX], key, PyList_GET_ITEM(bk->times, hi), 0) < 0;
            } else {
                PyObject *zero = PyFloat_FromDouble(0.0);
                PyObject *empty = PyUnicode_FromStringAndSize("", 0);
                PyObject *never = PyLong_FromLong(0);
                failed = !zero || !empty || !never ||
                         set_item(dicts[D_MINIMUMS], key, zero, 0) < 0 ||
                         set_item(dicts[D_MAXIMUMS], key, zero, 0) < 0 ||
                         set_item(dicts[D_FILES_MIN], key, empty, 0) < 0 ||
                         set_item(dicts[D_FILES_MAX], key, empty, 0) < 0 ||
                         set_item(dicts[D_TIMES_MIN], key, never, 0) < 0 ||
                         set_item(dicts[D_TIMES_MAX], key, never, 0) < 0;
                Py_XDECREF(zero);
                Py_XDECREF(empty);
                Py_XDECREF(never);
            }
        }
        for (int d = 0; d < D_COUNT; d++)
            Py_XDECREF(dicts[d]);
        if (failed)
            goto done;
    }
    result = Py_True;
    Py_INCREF(result);

done:
    if (info) {
        for (Py_ssize_t b = 0; b < nb; b++) {
            Py_XDECREF(info[b].times);
            Py_XDECREF(info[b].products);
            Py_XDECREF(info[b].values);
        }
        PyMem_Free(info);
    }
    PyMem_Free(flat);
    PyMem_Free(scratch);
    PyMem_Free(good);
    Py_DECREF(stats);
    return result;
}

static PyMethodDef methods[] = {
    {"compute", compute, METH_VARARGS,
     "compute(buckets, stats_types, max_latency) -> bool: Bucket.compute of every bucket, "
     "False (nothing changed) when declined."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_stats", "Compiled statistics of a collector's buckets.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__stats(void)
{
    for (int d = 0; d < D_COUNT; d++)
        if (!(dict_names[d] = PyUnicode_InternFromString(DICT_NAMES[d])))
            return NULL;
    if (!(s_times = PyUnicode_InternFromString("times")) ||
        !(s_products = PyUnicode_InternFromString("products")) ||
        !(s_values = PyUnicode_InternFromString("values")) ||
        !(s_nb_files = PyUnicode_InternFromString("nb_files")) ||
        !(s_over = PyUnicode_InternFromString("files_over_max_latency")) ||
        !(s_errors = PyUnicode_InternFromString("errors")) ||
        !(s_latency = PyUnicode_InternFromString("latency")))
        return NULL;
    return PyModule_Create(&module);
}

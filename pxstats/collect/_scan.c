/* pxstats.collect._scan: the compiled equivalent of formats.scan for a buffer of lines.
 *
 * scan(data, buckets, start, end, interval, is_tx, errors_on, latency_on, bytecount_on,
 *      reached, fallback)
 * has exactly the effect of formats.scan(data[:-1].split(b"\n"), collector, result) on the
 * rows of the buckets (appended to each bucket's lists, in line order), and returns
 * (stop offset or None, stop index or None, rows, malformed, first malformed line or None,
 *  before start, out of order, reached start, filled slots).
 *
 * The rules of spec 1.6/1.7 are those of formats.py; this file only evaluates them for the
 * lines whose result is certain: classification, timestamp prefix, stop/start decisions,
 * error rows, rx products and the tx 7th token are exact for every line. An INFO row whose
 * byte count is not 1-18 ASCII digits, or whose reception stamp is not 14 ASCII digits,
 * is handed to `fallback(line)` (the reference, formats.scan on that one line), which
 * returns (product, latency, byte count) or None when the line is malformed.
 *
 * Every access is bounded by the line's own length: a line is [p, p + n) of the buffer and
 * nothing here reads outside it.
 *
 * Why one file of ~600 lines: the rules, their fast checks and the hand-over to the reference
 * must be read together against formats.scan, in the order the reference applies them.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ------------------------------------------------------------------------------------ */
/* Calendar (datetime's rules: years 1-9999) */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_length(int64_t y, int64_t m)
{
    static const int lengths[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
        return 29;
    return lengths[m];
}

/* 1 and the epoch when the fields make a valid datetime, else 0. */
static int epoch_of(int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s,
                    int64_t *out)
{
    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > month_length(y, mo) || h > 23 ||
        mi > 59 || s > 59)
        return 0;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    return 1;
}

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Value of `count` ASCII digits at p (the caller checked they are digits). */
static inline int64_t digits_value(const unsigned char *p, Py_ssize_t count)
{
    int64_t v = 0;
    for (Py_ssize_t k = 0; k < count; k++)
        v = v * 10 + (p[k] - '0');
    return v;
}

/* formats.line_time: 'YYYY-MM-DD HH:MM:SS,' as the line's first 20 bytes, a valid date, and
 * not before 1970 (the reference refuses any negative time). 1 and *t, else 0. */
static int prefix_time(const unsigned char *p, Py_ssize_t n, int64_t *t)
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd,";
    if (n < 20)
        return 0;
    for (int k = 0; k < 20; k++) {
        if (shape[k] == 'd') {
            if (!is_digit(p[k]))
                return 0;
        } else if (p[k] != (unsigned char)shape[k]) {
            return 0;
        }
    }
    int64_t value;
    if (!epoch_of(digits_value(p, 4), digits_value(p + 5, 2), digits_value(p + 8, 2),
                  digits_value(p + 11, 2), digits_value(p + 14, 2), digits_value(p + 17, 2),
                  &value))
        return 0;
    if (value < 0)
        return 0;
    *t = value;
    return 1;
}

/* ------------------------------------------------------------------------------------ */
/* Classification (spec 1.6 rules 2-3): substrings anywhere in the line */

enum { NONE = 0, INFO = 1, ERROR = 2 };

static unsigned char SPECIAL[256]; /* bytes that may start a pattern: [ B / S */

static inline uint64_t has_byte(uint64_t word, uint64_t repeated)
{
    uint64_t x = word ^ repeated;
    return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

typedef struct {
    int info, error, excluded;
    Py_ssize_t first_bytes;
} Found;

/* The patterns that may start at s[i] (a byte of SPECIAL). */
static inline void match_at(const unsigned char *s, Py_ssize_t n, Py_ssize_t i, Found *f)
{
    Py_ssize_t left = n - i;
    switch (s[i]) {
    case '[':
        if (left >= 6 && memcmp(s + i, "[INFO]", 6) == 0)
            f->info = 1;
        else if (left >= 7 && memcmp(s + i, "[ERROR]", 7) == 0)
            f->error = 1;
        break;
    case 'B':
        if (f->first_bytes < 0 && left >= 5 && memcmp(s + i, "Bytes", 5) == 0)
            f->first_bytes = i;
        break;
    case '/':
        if (left >= 4 && memcmp(s + i, "/sec", 4) == 0)
            f->excluded = 1;
        break;
    case 'S':
        if (i >= 1 && s[i - 1] == ' ' && left >= 8 && memcmp(s + i, "Segment ", 8) == 0)
            f->excluded = 1;
        else if (left >= 12 && memcmp(s + i, "SEND TIMEOUT", 12) == 0)
            f->excluded = 1;
        break;
    default:
        break;
    }
}

static int use_simd = 1; /* tests switch it off to run the portable loop */

/* INFO, ERROR or NONE; *bytes_at: offset of the first "Bytes" (-1 when none). */
static int classify(const unsigned char *s, Py_ssize_t n, int errors_on, Py_ssize_t *bytes_at)
{
    Found f = {0, 0, 0, -1};
    Py_ssize_t i = 0;
#if defined(__SSE2__)
    /* 16 positions at a time, by their first two bytes: '[I' '[E' 'By' '/s' 'Se' 'SE' (the
     * second byte is loaded from i + 1: only while i + 17 <= n, the rest below). */
    if (use_simd) {
        const __m128i bracket = _mm_set1_epi8('['), big_b = _mm_set1_epi8('B');
        const __m128i slash = _mm_set1_epi8('/'), big_s = _mm_set1_epi8('S');
        const __m128i big_i = _mm_set1_epi8('I'), big_e = _mm_set1_epi8('E');
        const __m128i small_y = _mm_set1_epi8('y'), small_s = _mm_set1_epi8('s');
        const __m128i small_e = _mm_set1_epi8('e');
        for (; i + 17 <= n; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
            __m128i e = _mm_cmpeq_epi8(b, big_e);
            __m128i hit = _mm_and_si128(_mm_cmpeq_epi8(a, bracket),
                                        _mm_or_si128(_mm_cmpeq_epi8(b, big_i), e));
            hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpeq_epi8(a, big_b),
                                                  _mm_cmpeq_epi8(b, small_y)));
            hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpeq_epi8(a, slash),
                                                  _mm_cmpeq_epi8(b, small_s)));
            hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpeq_epi8(a, big_s),
                                                  _mm_or_si128(_mm_cmpeq_epi8(b, small_e), e)));
            unsigned mask = (unsigned)_mm_movemask_epi8(hit);
            while (mask) {
                match_at(s, n, i + __builtin_ctz(mask), &f);
                mask &= mask - 1;
            }
        }
    }
#endif
    /* Portable: 8 bytes at a time skipped when none may start a pattern. */
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(has_byte(w, 0x5B5B5B5B5B5B5B5BULL) | has_byte(w, 0x4242424242424242ULL) |
                  has_byte(w, 0x2F2F2F2F2F2F2F2FULL) | has_byte(w, 0x5353535353535353ULL))) {
                i += 8;
                continue;
            }
        }
        Py_ssize_t stop = i + 8 < n ? i + 8 : n;
        for (; i < stop; i++)
            if (SPECIAL[s[i]])
                match_at(s, n, i, &f);
    }
    *bytes_at = f.first_bytes;
    if (f.info && f.first_bytes >= 0 && !f.excluded)
        return INFO;
    if (errors_on && f.error)
        return ERROR;
    return NONE;
}

/* ------------------------------------------------------------------------------------ */
/* Fields of an INFO row */

enum { FIELDS_OK = 0, FIELDS_MALFORMED = 1, FIELDS_UNSURE = 2 };

static const unsigned char *find_byte(const unsigned char *s, Py_ssize_t n, unsigned char c)
{
    return n > 0 ? memchr(s, c, (size_t)n) : NULL;
}

/* formats: int(line[line.find(b"(") + 1 : line.find(b"Bytes") - 1]) when that text is 1-18
 * ASCII digits; anything else (a sign, blanks, a longer number, no number, no '(' before
 * "Bytes") is unsure. */
static int byte_count(const unsigned char *s, Py_ssize_t bytes_at, int64_t *out)
{
    Py_ssize_t a = 0;
    while (a < bytes_at && s[a] != '(')
        a++;
    a++;                         /* past the '(' */
    Py_ssize_t b = bytes_at - 1; /* bytes_at >= 20: the line has a valid prefix */
    if (b - a < 1 || b - a > 18)
        return FIELDS_UNSURE;
    for (Py_ssize_t k = a; k < b; k++)
        if (!is_digit(s[k]))
            return FIELDS_UNSURE;
    *out = digits_value(s + a, b - a);
    return FIELDS_OK;
}

/* tx: S = line.split(b" ")[6]; product = S.rpartition(b"/")[2]; with latency, the reception
 * time is S.split(b":")[6][:14] read at fixed positions (14 ASCII digits here, else unsure).
 * One pass: the 6th space, then through S its last '/' and its 6th and 7th ':'. */
static int tx_fields(const unsigned char *s, Py_ssize_t n, int latency_on, int64_t t,
                     Py_ssize_t *p_start, Py_ssize_t *p_end, int64_t *latency)
{
    Py_ssize_t k = 0;
    int spaces = 0;
    for (; k < n; k++)
        if (s[k] == ' ' && ++spaces == 6)
            break;
    if (spaces < 6)
        return FIELDS_MALFORMED; /* IndexError */
    Py_ssize_t base = ++k, field = -1, field_end = -1;
    int colons = 0;
    for (; k < n && s[k] != ' '; k++) {
        if (s[k] == '/') {
            base = k + 1;
        } else if (s[k] == ':') {
            colons++;
            if (colons == 6)
                field = k + 1;
            else if (colons == 7)
                field_end = k;
        }
    }
    *p_start = base;
    *p_end = k;
    *latency = 0;
    if (!latency_on)
        return FIELDS_OK;
    if (colons < 6)
        return FIELDS_MALFORMED; /* IndexError */
    if (field_end < 0)
        field_end = k;
    if (field_end - field < 14)
        return FIELDS_UNSURE;
    const unsigned char *d = s + field;
    for (int j = 0; j < 14; j++)
        if (!is_digit(d[j]))
            return FIELDS_UNSURE;
    int64_t arrival;
    if (!epoch_of(digits_value(d, 4), digits_value(d + 4, 2), digits_value(d + 6, 2),
                  digits_value(d + 8, 2), digits_value(d + 10, 2), digits_value(d + 12, 2),
                  &arrival))
        return FIELDS_MALFORMED; /* ValueError: not a date */
    *latency = t - arrival > 0 ? t - arrival : 0;
    return FIELDS_OK;
}

/* rx: line[line.rfind(b"/") + 1 :].partition(b":")[0] */
static void rx_fields(const unsigned char *s, Py_ssize_t n, Py_ssize_t *p_start,
                      Py_ssize_t *p_end)
{
    Py_ssize_t base = 0;
    for (Py_ssize_t k = n; k > 0; k--) {
        if (s[k - 1] == '/') {
            base = k;
            break;
        }
    }
    const unsigned char *colon = find_byte(s + base, n - base, ':');
    *p_start = base;
    *p_end = colon ? colon - s : n;
}

/* ------------------------------------------------------------------------------------ */
/* The lists of one bucket, fetched when the bucket gets its first row */

enum { L_TIMES, L_PRODUCTS, L_ERRORS, L_LATENCY, L_BYTES, L_COUNT };

typedef struct {
    PyObject *lists[L_COUNT]; /* new references, NULL when not collected */
    int ready;
} Slot;

static PyObject *s_times, *s_products, *s_values, *s_errors, *s_latency, *s_bytecount;

static PyObject *list_attr(PyObject *bucket, PyObject *name)
{
    PyObject *value = PyObject_GetAttr(bucket, name);
    if (value && !PyList_Check(value)) {
        Py_DECREF(value);
        PyErr_Format(PyExc_TypeError, "bucket.%U is not a list", name);
        return NULL;
    }
    return value;
}

static PyObject *value_list(PyObject *values, PyObject *name)
{
    PyObject *column = PyDict_GetItemWithError(values, name); /* borrowed */
    if (!column || !PyList_Check(column)) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "bucket.values[%R] is missing or not a list", name);
        return NULL;
    }
    Py_INCREF(column);
    return column;
}

static int slot_ready(Slot *slot, PyObject *bucket, int errors_on, int latency_on,
                      int bytecount_on)
{
    if (slot->ready)
        return 0;
    slot->lists[L_TIMES] = list_attr(bucket, s_times);
    if (!slot->lists[L_TIMES])
        return -1;
    slot->lists[L_PRODUCTS] = list_attr(bucket, s_products);
    if (!slot->lists[L_PRODUCTS])
        return -1;
    PyObject *values = PyObject_GetAttr(bucket, s_values);
    if (!values)
        return -1;
    int failed = 0;
    if (!PyDict_Check(values)) {
        PyErr_SetString(PyExc_TypeError, "bucket.values is not a dict");
        failed = 1;
    }
    if (!failed && errors_on && !(slot->lists[L_ERRORS] = value_list(values, s_errors)))
        failed = 1;
    if (!failed && latency_on && !(slot->lists[L_LATENCY] = value_list(values, s_latency)))
        failed = 1;
    if (!failed && bytecount_on && !(slot->lists[L_BYTES] = value_list(values, s_bytecount)))
        failed = 1;
    Py_DECREF(values);
    if (failed)
        return -1;
    slot->ready = 1;
    return 0;
}

static int append_new(PyObject *list, PyObject *item)
{
    if (!item)
        return -1;
    int status = PyList_Append(list, item);
    Py_DECREF(item);
    return status;
}

/* ------------------------------------------------------------------------------------ */

static PyObject *scan(PyObject *self, PyObject *args)
{
    (void)self;
    Py_buffer view;
    PyObject *buckets, *fallback;
    long long start, end, interval;
    int is_tx, errors_on, latency_on, bytecount_on, reached;
    if (!PyArg_ParseTuple(args, "y*O!LLLpppppO", &view, &PyList_Type, &buckets, &start, &end,
                          &interval, &is_tx, &errors_on, &latency_on, &bytecount_on, &reached,
                          &fallback))
        return NULL;

    PyObject *out = NULL, *first_malformed = NULL, *filled = NULL;
    Slot *slots = NULL;
    Py_ssize_t nbuckets = PyList_GET_SIZE(buckets);
    const unsigned char *data = view.buf;
    Py_ssize_t size = view.len;
    if (size && data[size - 1] != '\n') {
        PyErr_SetString(PyExc_ValueError, "the buffer must end with a newline");
        goto done;
    }
    if (interval < 1 || nbuckets < 1) {
        PyErr_SetString(PyExc_ValueError, "no buckets or an interval below 1");
        goto done;
    }
    slots = PyMem_Calloc((size_t)nbuckets, sizeof(Slot));
    filled = PyList_New(0);
    if (!slots || !filled) {
        PyErr_NoMemory();
        goto done;
    }

    Py_ssize_t rows = 0, malformed = 0, before = 0, late = 0;
    Py_ssize_t stop_offset = -1, stop_index = -1;
    Py_ssize_t pos = 0, index = 0;
    while (pos < size) {
        const unsigned char *s = data + pos;
        const unsigned char *newline = memchr(s, '\n', (size_t)(size - pos));
        Py_ssize_t n = newline - s; /* found: the buffer ends with a newline */
        Py_ssize_t line_start = pos;
        pos += n + 1;
        index++;

        Py_ssize_t bytes_at;
        int kind = classify(s, n, errors_on, &bytes_at);
        if (kind == NONE)
            continue;
        int64_t t;
        if (!prefix_time(s, n, &t)) {
            malformed++;
            if (!first_malformed &&
                !(first_malformed = PyBytes_FromStringAndSize((const char *)s, n)))
                goto done;
            continue;
        }
        if (t >= end) {
            stop_offset = line_start;
            stop_index = index - 1;
            reached = 1;
            break;
        }
        if (t < start) {
            before++;
            late += reached;
            continue;
        }
        reached = 1;

        PyObject *product = NULL, *latency_obj = NULL, *bytes_obj = NULL;
        int err = 0;
        if (kind == ERROR) {
            err = 1;
            product = PyUnicode_FromStringAndSize("", 0);
            latency_obj = PyLong_FromLong(0);
            bytes_obj = PyLong_FromLong(0);
        } else {
            int64_t nbytes = 0, latency = 0;
            Py_ssize_t ps = 0, pe = 0;
            int status = byte_count(s, bytes_at, &nbytes);
            if (status == FIELDS_OK) {
                if (is_tx)
                    status = tx_fields(s, n, latency_on, t, &ps, &pe, &latency);
                else
                    rx_fields(s, n, &ps, &pe);
            }
            if (status == FIELDS_OK) {
                product = PyUnicode_DecodeLatin1((const char *)s + ps, pe - ps, NULL);
                latency_obj = PyLong_FromLongLong(latency);
                bytes_obj = PyLong_FromLongLong(nbytes);
            } else {
                /* The reference decides (a malformed line included: one rule, one place). */
                PyObject *found = PyObject_CallFunction(fallback, "y#", (const char *)s, n);
                if (!found)
                    goto done;
                if (found == Py_None) {
                    Py_DECREF(found);
                    malformed++;
                    if (!first_malformed &&
                        !(first_malformed = PyBytes_FromStringAndSize((const char *)s, n)))
                        goto done;
                    continue;
                }
                if (!PyTuple_Check(found) || PyTuple_GET_SIZE(found) != 3) {
                    Py_DECREF(found);
                    PyErr_SetString(PyExc_TypeError, "fallback must return a 3-tuple or None");
                    goto done;
                }
                product = PyTuple_GET_ITEM(found, 0);
                latency_obj = PyTuple_GET_ITEM(found, 1);
                bytes_obj = PyTuple_GET_ITEM(found, 2);
                Py_INCREF(product);
                Py_INCREF(latency_obj);
                Py_INCREF(bytes_obj);
                Py_DECREF(found);
            }
        }
        if (!product || !latency_obj || !bytes_obj) {
            Py_XDECREF(product);
            Py_XDECREF(latency_obj);
            Py_XDECREF(bytes_obj);
            goto done;
        }
        long long slot_index = (t - start) / interval;
        if (slot_index > nbuckets - 1)
            slot_index = nbuckets - 1;
        Slot *slot = &slots[slot_index];
        int fresh = !slot->ready;
        int failed =
            slot_ready(slot, PyList_GET_ITEM(buckets, slot_index), errors_on, latency_on,
                       bytecount_on) < 0;
        if (!failed && fresh) {
            PyObject *number = PyLong_FromLongLong(slot_index);
            failed = append_new(filled, number) < 0;
        }
        failed = failed || append_new(slot->lists[L_TIMES], PyLong_FromLongLong(t)) < 0;
        failed = failed || PyList_Append(slot->lists[L_PRODUCTS], product) < 0;
        if (!failed && errors_on)
            failed = append_new(slot->lists[L_ERRORS], PyLong_FromLong(err)) < 0;
        if (!failed && latency_on)
            failed = PyList_Append(slot->lists[L_LATENCY], latency_obj) < 0;
        if (!failed && bytecount_on)
            failed = PyList_Append(slot->lists[L_BYTES], bytes_obj) < 0;
        Py_DECREF(product);
        Py_DECREF(latency_obj);
        Py_DECREF(bytes_obj);
        if (failed)
            goto done;
        rows++;
    }

    if (stop_offset < 0)
        out = Py_BuildValue("(OOnnOnnOO)", Py_None, Py_None, rows, malformed,
                            first_malformed ? first_malformed : Py_None, before, late,
                            reached ? Py_True : Py_False, filled);
    else
        out = Py_BuildValue("(nnnnOnnOO)", stop_offset, stop_index, rows, malformed,
                            first_malformed ? first_malformed : Py_None, before, late,
                            reached ? Py_True : Py_False, filled);

done:
    if (slots) {
        for (Py_ssize_t k = 0; k < nbuckets; k++)
            for (int l = 0; l < L_COUNT; l++)
                Py_XDECREF(slots[k].lists[l]);
        PyMem_Free(slots);
    }
    Py_XDECREF(first_malformed);
    Py_XDECREF(filled);
    PyBuffer_Release(&view);
    return out;
}

static PyObject *set_simd(PyObject *self, PyObject *arg)
{
    (void)self;
    int flag = PyObject_IsTrue(arg);
    if (flag < 0)
        return NULL;
    int previous = use_simd;
    use_simd = flag;
    return PyBool_FromLong(previous);
}

static PyMethodDef methods[] = {
    {"set_simd", set_simd, METH_O,
     "set_simd(flag) -> previous: use the SSE2 search where compiled in (tests turn it off)."},
    {"scan", scan, METH_VARARGS,
     "scan(data, buckets, start, end, interval, is_tx, errors_on, latency_on, bytecount_on, "
     "reached, fallback): formats.scan over the lines of data (see the module source)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "Compiled equivalent of formats.scan (see scanner.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void)
{
    SPECIAL['['] = SPECIAL['B'] = SPECIAL['/'] = SPECIAL['S'] = 1;
    if (!(s_times = PyUnicode_InternFromString("times")) ||
        !(s_products = PyUnicode_InternFromString("products")) ||
        !(s_values = PyUnicode_InternFromString("values")) ||
        !(s_errors = PyUnicode_InternFromString("errors")) ||
        !(s_latency = PyUnicode_InternFromString("latency")) ||
        !(s_bytecount = PyUnicode_InternFromString("bytecount")))
        return NULL;
    return PyModule_Create(&module);
}

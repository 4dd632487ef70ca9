// callrecorder: records the two tracks of a call to disk (see callrecorder.cpp).
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_CALL_RECORDER (gst_call_recorder_get_type())
G_DECLARE_FINAL_TYPE(GstCallRecorder, gst_call_recorder, GST, CALL_RECORDER, GstElement)

#define GST_TYPE_CALL_RECORDER_LAYOUT (gst_call_recorder_layout_get_type())
GType gst_call_recorder_layout_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(callrecorder);

G_END_DECLS

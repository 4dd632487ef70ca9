// twiliosrc: Twilio Media Streams audio into a pipeline (see twiliosrc.cpp for the docs).
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef enum {
  GST_TWILIO_TRACK_INBOUND = 0,
  GST_TWILIO_TRACK_OUTBOUND = 1,
} GstTwilioTrack;

#define GST_TYPE_TWILIO_TRACK (gst_twilio_track_get_type())
GType gst_twilio_track_get_type(void);

#define GST_TYPE_TWILIO_SRC (gst_twilio_src_get_type())
G_DECLARE_FINAL_TYPE(GstTwilioSrc, gst_twilio_src, GST, TWILIO_SRC, GstElement)

GST_ELEMENT_REGISTER_DECLARE(twiliosrc);

G_END_DECLS

"""Quality metrics on decoded video frames: pure functions of arrays, testable on synthetic clips.

- ``identity``: face-descriptor distances to the input faces, and which face is whose.
- ``hug``: how close the faces come, and whether the bodies touch at the peak.
- ``anatomy``: bone-length change and keypoint jitter from a pose model's keypoints.
- ``temporal``: optical-flow warping error, background flicker, the camera's motion.
- ``artifacts``: empty (black, border-connected) pixels.
"""

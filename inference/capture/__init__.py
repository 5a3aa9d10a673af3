"""Capture from video: a speaker's video -> SMPL-X takes (npz + wav) for training and libraries."""
